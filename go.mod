module github.com/jirahooks/jirahooks

go 1.24.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	golang.org/x/oauth2 v0.34.0
)
