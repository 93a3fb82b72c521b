package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDockerfiles checks, by reading them (no Docker engine is needed), that every
// service's image is built the agreed way: multi-stage, bases pinned by digest, a static
// binary (CGO_ENABLED=0), distroless nonroot as the final stage, USER 65532, the
// repository root as context, and that the binary built is the service's own.
func TestDockerfiles(t *testing.T) {
	t.Parallel()
	from := regexp.MustCompile(`(?m)^FROM\s+(?:--platform=\S+\s+)?(\S+)`)
	for _, svc := range []string{"gateway", "cache", "provider-adapter", "controller"} {
		t.Run(svc, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(repoRoot(t), "services", svc, "Dockerfile"))
			require.NoError(t, err)
			df := string(raw)

			stages := from.FindAllStringSubmatch(df, -1)
			require.GreaterOrEqual(t, len(stages), 2, "multi-stage")
			for _, s := range stages {
				assert.Regexp(t, `@sha256:[0-9a-f]{64}$`, s[1], "base image %s is pinned by digest", s[1])
			}
			final := stages[len(stages)-1][1]
			assert.True(t, strings.HasPrefix(final, "gcr.io/distroless/static-debian12:nonroot@"), "final stage is distroless static nonroot, got %s", final)

			lastFrom := strings.LastIndex(df, "\nFROM ")
			runtime := df[lastFrom:]
			assert.Regexp(t, `(?m)^USER 65532(:65532)?$`, runtime, "the final stage runs as 65532")
			assert.Regexp(t, `(?m)^ENTRYPOINT \["/`+svc+`"\]$`, runtime)
			assert.NotContains(t, runtime, "RUN ", "nothing runs in the distroless stage")

			assert.Contains(t, df, "CGO_ENABLED=0")
			assert.Contains(t, df, "go build")
			assert.Contains(t, df, "./services/"+svc+"/cmd/"+svc, "builds the service's own main package")
			assert.Contains(t, df, "COPY go.work ", "the repository root is the build context (go.work)")
			for _, mod := range workspaceModules(t) {
				assert.Contains(t, df, "COPY "+mod+"/go.mod ", "go.work uses %s, so its go.mod is in the image build", mod)
			}
		})
	}
}

// workspaceModules are the directories go.work uses.
func workspaceModules(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "go.work"))
	require.NoError(t, err)
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^\s*\./(\S+)\s*$`).FindAllStringSubmatch(string(raw), -1) {
		out = append(out, m[1])
	}
	require.NotEmpty(t, out)
	return out
}

// TestDockerignoreKeepsTheBuildInputs: the allow-list .dockerignore must not drop a file
// the Dockerfiles COPY.
func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), ".dockerignore"))
	require.NoError(t, err)
	di := string(raw)
	assert.Contains(t, di, "!go.work\n")
	assert.Contains(t, di, "!pkg/\n")
	assert.Contains(t, di, "!services/\n")
	for _, mod := range workspaceModules(t) {
		if strings.HasPrefix(mod, "pkg") || strings.HasPrefix(mod, "services/") {
			continue
		}
		assert.Contains(t, di, "!"+mod+"/go.mod\n", "%s/go.mod is sent to the build", mod)
	}
}
