package lambdatest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
)

// AWS stands in for the AWS endpoints the functions call besides SNS
// (internal/notify/snstest has that one): Secrets Manager's GetSecretValue
// (AWS JSON 1.1) and Lambda's Invoke. Point the real SDK at it with
// AWS_ENDPOINT_URL_SECRETS_MANAGER and AWS_ENDPOINT_URL_LAMBDA.
type AWS struct {
	*httptest.Server

	mu           sync.Mutex
	secrets      map[string]string
	invokes      []Invoke
	fault        SecretsFault
	secretsCalls int
	hung         chan struct{} // closed to release the requests a SecretsHang holds
}

// SecretsFault is how the Secrets Manager stand-in misbehaves.
type SecretsFault int

// The faults SetSecretsFault can inject.
const (
	SecretsOK    SecretsFault = iota
	SecretsError              // answers 500 InternalServiceError, which the SDK retries
	SecretsHang               // never answers, until the client gives up or the fault ends
)

// SetSecretsFault makes Secrets Manager misbehave from now on (SecretsOK
// ends a fault, and releases the requests a hang holds).
func (a *AWS) SetSecretsFault(f SecretsFault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fault == SecretsHang && f != SecretsHang {
		close(a.hung)
	}
	if f == SecretsHang && a.fault != SecretsHang {
		a.hung = make(chan struct{})
	}
	a.fault = f
}

// SecretsRequests counts the GetSecretValue calls made so far, faulty or
// not.
func (a *AWS) SecretsRequests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.secretsCalls
}

// Invoke is one Lambda Invoke a function made.
type Invoke struct {
	Function, InvocationType string
	Payload                  []byte
}

// StartAWS starts the stand-in with the secrets it serves, by id (ARN).
func StartAWS(secrets map[string]string) *AWS {
	a := &AWS{secrets: secrets}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", a.secretsManager)
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", a.invoke)
	a.Server = httptest.NewServer(mux)
	return a
}

// Invokes returns the Lambda invocations made so far.
func (a *AWS) Invokes() []Invoke {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Invoke(nil), a.invokes...)
}

func (a *AWS) secretsManager(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.secretsCalls++
	fault, hung := a.fault, a.hung
	a.mu.Unlock()
	switch fault {
	case SecretsHang:
		select {
		case <-hung:
		case <-r.Context().Done():
			return
		}
	case SecretsError:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", "InternalServiceError")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"__type":"InternalServiceError","Message":"An error occurred on the server side."}`)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	var in struct{ SecretId string }
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || json.NewDecoder(r.Body).Decode(&in) != nil {
		awsError(w, "InvalidRequestException", "only GetSecretValue is stood in for")
		return
	}
	a.mu.Lock()
	value, ok := a.secrets[in.SecretId]
	a.mu.Unlock()
	if !ok {
		awsError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN": in.SecretId, "Name": in.SecretId, "SecretString": value,
		"VersionId": "00000000-0000-0000-0000-000000000001", "VersionStages": []string{"AWSCURRENT"},
	})
}

func (a *AWS) invoke(w http.ResponseWriter, r *http.Request) {
	payload, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	typ := r.Header.Get("X-Amz-Invocation-Type")
	a.mu.Lock()
	a.invokes = append(a.invokes, Invoke{Function: r.PathValue("name"), InvocationType: typ, Payload: payload})
	a.mu.Unlock()
	if typ == "Event" {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, "null")
}

func awsError(w http.ResponseWriter, typ, message string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "Message": message})
}

// Close ends any fault (a hang would hold the server's Close) and stops
// the server.
func (a *AWS) Close() {
	a.SetSecretsFault(SecretsOK)
	a.Server.Close()
}
