// Package auth is who may do what in Newsroom. Callers present a signed
// bearer token (an HS256 JWT naming a person and their roles); every
// service verifies it itself in one gRPC interceptor and checks the role
// matrix in policy.go, which is written as data so it can be read, tested
// and documented as a table.
package auth
