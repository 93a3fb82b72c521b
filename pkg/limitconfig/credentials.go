package limitconfig

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Credentials is the CLIENT_CREDENTIALS file: client name → bcrypt hash.
type Credentials map[string]string

// ParseCredentials reads the file and checks every entry looks like a bcrypt hash, so a
// plain password pasted by mistake is refused instead of being compared.
func ParseCredentials(raw []byte) (Credentials, error) {
	var c Credentials
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return nil, fmt.Errorf("parsing client credentials: %w", err)
	}
	if c == nil {
		c = Credentials{}
	}
	for _, name := range slices.Sorted(maps.Keys(c)) {
		if !ValidClientName(name) {
			return nil, fmt.Errorf("client credentials: %q is not a valid client name", name)
		}
		h := c[name]
		if len(h) != 60 || (!strings.HasPrefix(h, "$2a$") && !strings.HasPrefix(h, "$2b$") && !strings.HasPrefix(h, "$2y$")) {
			// The value is never echoed: it may be a plain password.
			return nil, fmt.Errorf("client credentials: the entry of %q is not a bcrypt hash", name)
		}
	}
	return c, nil
}

// Render writes the file with sorted keys, deterministic like Config.Render.
func (c Credentials) Render() ([]byte, error) {
	out, err := yaml.Marshal(map[string]string(c))
	if err != nil {
		return nil, fmt.Errorf("rendering client credentials: %w", err)
	}
	return out, nil
}
