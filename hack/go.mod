module github.com/football-tracker/backend/hack

go 1.26.0

require (
	github.com/alicebob/miniredis/v2 v2.40.0
	github.com/football-tracker/backend/pkg v0.0.0
)

require github.com/yuin/gopher-lua v1.1.1 // indirect

replace github.com/football-tracker/backend/pkg => ../pkg
