//go:build !linux

package main

import (
	"errors"
	"syscall"
)

func reusePort(network, address string, c syscall.RawConn) error {
	return errors.New("--reuse-port is supported on Linux only")
}
