module github.com/football-tracker/backend/charts/tests

go 1.26.0
