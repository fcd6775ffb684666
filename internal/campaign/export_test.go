package campaign

// CheckPinnedTarget exposes checkPinned, the pin check the Service applies
// to Check's result, to the external tests.
var CheckPinnedTarget = checkPinned
