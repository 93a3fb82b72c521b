// Package api holds the OpenAPI 3 document of the public API, embedded so the gateway
// serves exactly the document that is tested against its routes.
package api

import _ "embed"

// OpenAPI is the document served at /api/v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte
