// Package lambdainit is what every function does to start, whatever it
// builds: its JSON logger at LOG_LEVEL, and the report of a start that
// failed. It imports only the standard library, so that a function that
// needs neither the database nor the API's handlers (notifycarrier) links
// nothing more than its own work.
package lambdainit

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

// ReadLogLevel reads LOG_LEVEL through getenv: DEBUG, INFO (the default),
// WARN or ERROR, in any case.
func ReadLogLevel(getenv func(string) string) (slog.Level, error) {
	var level slog.Level
	text := getenv("LOG_LEVEL")
	if text == "" {
		text = "INFO"
	}
	if err := level.UnmarshalText([]byte(text)); err != nil {
		return 0, fmt.Errorf("config: LOG_LEVEL: %w", err)
	}
	return level, nil
}

// Logger returns the JSON logger every function writes with, to stdout,
// which Lambda sends to CloudWatch Logs.
func Logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}

// ErrorType is the error type a function reports when it cannot start
// (its configuration is missing or malformed, or a constructor failed).
const ErrorType = "Runtime.ConfigError"

// pathInitError is the Runtime API's init error call (API 2018-06-01).
const pathInitError = "/2018-06-01/runtime/init/error"

// Failed ends a function that cannot start: it logs why (the error
// names the setting at fault), reports the error to Lambda through the
// Runtime API's init error call when it runs under one
// (AWS_LAMBDA_RUNTIME_API), so that the invocation fails with that message
// rather than a bare "exited", and exits 1 without ever polling for an
// invocation. aws-lambda-go has no API for init errors; the call is the
// Runtime API's own.
func Failed(function string, err error) {
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
		"errorType":    ErrorType,
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
	req.Header.Set("Lambda-Runtime-Function-Error-Type", ErrorType)
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
