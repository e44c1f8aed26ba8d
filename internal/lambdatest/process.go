package lambdatest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// Process is one execution environment: a bootstrap binary run as a
// process of its own, polling a Runtime of its own, with the environment
// Lambda gives it.
type Process struct {
	*Runtime
	// Started is when the process was started.
	Started time.Time

	cmd    *exec.Cmd
	out    lockedBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit, once exited is closed
}

// NewProcess prepares binary to run as the function called name (the
// Lambda function name "delivery-prod-"+name) with memoryMB, and the extra
// environment env on top of Lambda's (later entries win). Start runs it.
func NewProcess(binary, name string, memoryMB int, env []string) (*Process, error) {
	rt, err := Start()
	if err != nil {
		return nil, err
	}
	rt.FunctionARN = "arn:aws:lambda:eu-west-1:123456789012:function:delivery-prod-" + name
	p := &Process{Runtime: rt, exited: make(chan struct{})}
	p.cmd = exec.Command(binary)
	p.cmd.Dir = filepath.Dir(binary) // /var/task
	p.cmd.Env = append(Env(rt.Addr(), "delivery-prod-"+name, memoryMB), "LAMBDA_TASK_ROOT="+p.cmd.Dir)
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	return p, nil
}

// Start starts the process. Invocations may be queued before.
func (p *Process) Start() error {
	p.Started = time.Now()
	if err := p.cmd.Start(); err != nil {
		p.Runtime.Close()
		return err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	return nil
}

// Call invokes the function with payload and waits for its answer; an
// error if the process exits first, reports an init error (ErrInit, with
// the Result) or ctx ends.
func (p *Process) Call(ctx context.Context, payload []byte) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		res Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := p.Runtime.Invoke(ctx, payload)
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		return a.res, a.err
	case <-p.exited:
		// An init error is posted before the exit: prefer it.
		if res, ok := p.InitError(); ok {
			return res, ErrInit
		}
		return Result{}, fmt.Errorf("the process exited before answering: %v", p.err)
	}
}

// Wait waits for the process to exit and returns its exit error (nil for
// status 0), or ctx's error if it is still running when ctx ends.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.exited:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Output is what the process wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.out.String() }

// Stop kills the process if it still runs, waits for it and closes its
// Runtime.
func (p *Process) Stop() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.Runtime.Close()
}

// lockedBuffer collects a process's output while tests read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
