package localgw

import (
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// allows evaluates an authorizer's policy for one method ARN as IAM does:
// an explicit Deny wins, and without an Allow the answer is no.
func allows(policy events.APIGatewayCustomAuthorizerPolicy, methodARN string) bool {
	allowed := false
	for _, st := range policy.Statement {
		for _, resource := range st.Resource {
			if !arnMatches(resource, methodARN) {
				continue
			}
			switch st.Effect {
			case "Deny":
				return false
			case "Allow":
				allowed = true
			}
		}
	}
	return allowed
}

// arnMatches matches an execute-api resource pattern, where * stands for
// any run of characters, slashes included.
func arnMatches(pattern, arn string) bool {
	parts := strings.Split(pattern, "*")
	rest, ok := strings.CutPrefix(arn, parts[0])
	if !ok {
		return false
	}
	if len(parts) == 1 {
		return rest == ""
	}
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, part)
		if i < 0 {
			return false
		}
		rest = rest[i+len(part):]
	}
	return strings.HasSuffix(rest, parts[len(parts)-1])
}

// policyCache keeps authorizer answers per token, as API Gateway's
// authorizer cache does.
type policyCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cachedPolicy
}

type cachedPolicy struct {
	resp    events.APIGatewayCustomAuthorizerResponse
	expires time.Time
}

func newPolicyCache(ttl time.Duration) *policyCache {
	return &policyCache{ttl: ttl, now: time.Now, entries: map[string]cachedPolicy{}}
}

func (c *policyCache) get(token string) (events.APIGatewayCustomAuthorizerResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[token]
	if !ok || !c.now().Before(e.expires) {
		delete(c.entries, token)
		return events.APIGatewayCustomAuthorizerResponse{}, false
	}
	return e.resp, true
}

func (c *policyCache) put(token string, resp events.APIGatewayCustomAuthorizerResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[token] = cachedPolicy{resp: resp, expires: c.now().Add(c.ttl)}
}
