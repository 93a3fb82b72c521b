package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{name: "the smallest envelope", size: envelopeOverhead},
		{name: "a cache-hit sized answer", size: 20_480},
		{name: "one byte over the envelope", size: envelopeOverhead + 1},
		{name: "below the envelope", size: envelopeOverhead - 1, wantErr: true},
		{name: "zero", size: 0, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, err := Body(tt.size)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Len(t, body, tt.size)
			var env struct {
				Success bool   `json:"success"`
				Data    string `json:"data"`
				Cached  bool   `json:"cached"`
			}
			require.NoError(t, json.Unmarshal(body, &env), "the body is valid JSON")
			assert.True(t, env.Success)
			assert.True(t, env.Cached)
		})
	}
}
