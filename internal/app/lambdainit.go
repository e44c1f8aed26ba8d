package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"
)

// InitErrorType is the error type a function reports when it cannot start
// (its configuration is missing or malformed, or a constructor failed).
const InitErrorType = "Runtime.ConfigError"

// pathInitError is the Runtime API's init error call (API 2018-06-01).
const pathInitError = "/2018-06-01/runtime/init/error"

// InitFailed ends a function that cannot start: it logs why (the error
// names the setting at fault), reports the error to Lambda through the
// Runtime API's init error call when it runs under one
// (AWS_LAMBDA_RUNTIME_API), so that the invocation fails with that message
// rather than a bare "exited", and exits 1 without ever polling for an
// invocation. aws-lambda-go has no API for init errors; the call is the
// Runtime API's own.
func InitFailed(function string, err error) {
	initFailed(os.Stdout, os.Getenv("AWS_LAMBDA_RUNTIME_API"), function, err)
	os.Exit(1)
}

func initFailed(out io.Writer, runtimeAPI, function string, err error) {
	logger := slog.New(slog.NewJSONHandler(out, nil))
	logger.Error(function+": cannot start", "function", function, "error", err.Error())
	if runtimeAPI == "" {
		return
	}
	if postErr := postInitError(runtimeAPI, function, err); postErr != nil {
		logger.Error(function+": report the init error to the Runtime API", "error", postErr.Error())
	}
}

func postInitError(runtimeAPI, function string, err error) error {
	body, _ := json.Marshal(map[string]string{
		"errorMessage": fmt.Sprintf("%s: %v", function, err),
		"errorType":    InitErrorType,
	})
	// The Runtime API is local to the execution environment; a call that
	// takes seconds will not succeed by waiting longer.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, reqErr := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+runtimeAPI+pathInitError, bytes.NewReader(body))
	if reqErr != nil {
		return reqErr
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", InitErrorType)
	resp, postErr := http.DefaultClient.Do(req)
	if postErr != nil {
		return postErr
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("init error call answered %s", resp.Status)
	}
	return nil
}
