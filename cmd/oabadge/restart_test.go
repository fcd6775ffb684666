package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestRollingRestart serves steady traffic from four clients while a new
// process starts on the same address (SO_REUSEPORT) and the old one gets
// SIGTERM, as a rolling restart on one host does, and counts failures.
func TestRollingRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops processes under load")
	}
	bin := buildBinary(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "r.db")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	startAt := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--addr", addr, "--db", db, "--audit-key-file", testKeyFile, "--reuse-port", "--access-log=false", "--log-format", "json", "--drain-delay", "300ms")
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				go io.Copy(io.Discard, out)
				return cmd
			}
		}
		t.Fatal("a process did not start")
		return nil
	}
	old := startAt()
	t.Cleanup(func() { old.Process.Kill(); old.Wait() })

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get("http://" + addr + "/b/bnv.svg")
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
					if err != nil {
						firstErr.CompareAndSwap(nil, err.Error())
					}
					if resp != nil {
						resp.Body.Close()
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok.Add(1)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // steady load first; no assertion depends on it
	next := startAt()
	t.Cleanup(func() { next.Process.Kill(); next.Wait() })
	if err := old.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := old.Wait(); err != nil {
		t.Errorf("the old process exited with %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("rolling restart under load: %d requests answered, %d failed (first error: %v)", ok.Load(), failed.Load(), firstErr.Load())
	if failed.Load() != 0 {
		t.Errorf("%d requests failed during the restart", failed.Load())
	}
}
