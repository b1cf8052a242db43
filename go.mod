module github.com/jirahooks/jirahooks

go 1.24.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/stretchr/testify v1.12.1
	golang.org/x/oauth2 v0.34.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
