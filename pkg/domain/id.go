package domain

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// Provider names, as they appear in ids, the X-Provider header and Match.Provider.
const (
	ProviderSportMonks = "sportmonks"
	ProviderOpenLigaDB = "openligadb"
)

// ErrInvalidID is returned for an id that is not of the form <prefix>-<digits>.
var ErrInvalidID = errors.New("invalid id")

// idPrefix maps a provider onto the prefix its ids carry, so a lookup by id can go to
// the provider that owns it without asking anyone.
var idPrefix = map[string]string{
	ProviderSportMonks: "sm",
	ProviderOpenLigaDB: "ol",
}

// IDPattern is the shape of every public match and team id; validators use it before
// an id goes near an upstream URL.
var IDPattern = regexp.MustCompile(`^(sm|ol)-[1-9][0-9]{0,11}$`)

// NewID makes the public id of a provider's numeric id.
func NewID(provider string, n int64) string {
	return idPrefix[provider] + "-" + strconv.FormatInt(n, 10)
}

// ParseID splits a public id into its provider and the provider's numeric id.
func ParseID(id string) (provider string, n int64, err error) {
	if !IDPattern.MatchString(id) {
		return "", 0, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	n, err = strconv.ParseInt(id[3:], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	switch id[:2] {
	case "sm":
		return ProviderSportMonks, n, nil
	default:
		return ProviderOpenLigaDB, n, nil
	}
}
