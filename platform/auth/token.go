package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"newsroom.dev/platform/clock"
)

// Issuer is the token issuer name; tokens from anyone else are refused.
const Issuer = "newsroom"

// Identity is the verified caller.
type Identity struct {
	Subject string
	Roles   []Role
	Expires time.Time
}

// Has reports whether the identity holds role r.
func (id Identity) Has(r Role) bool {
	for _, have := range id.Roles {
		if have == r {
			return true
		}
	}
	return false
}

type claims struct {
	Roles []Role `json:"roles"`
	jwt.RegisteredClaims
}

// Keyring signs and verifies tokens with a shared HS256 key.
type Keyring struct {
	key   []byte
	clock clock.Clock
}

// MinKeyBytes is the shortest signing key accepted.
const MinKeyBytes = 32

// NewKeyring returns a keyring for key; clk may be nil for the wall clock.
func NewKeyring(key []byte, clk clock.Clock) (*Keyring, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("auth: signing key must be at least %d bytes", MinKeyBytes)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &Keyring{key: key, clock: clk}, nil
}

// NewKey makes a random signing key.
func NewKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// EncodeKey and DecodeKey write a key as text for files and environment.
func EncodeKey(k []byte) string { return base64.RawURLEncoding.EncodeToString(k) }

// DecodeKey reads a key written by EncodeKey.
func DecodeKey(s string) ([]byte, error) {
	k, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("auth: signing key is not base64url: %w", err)
	}
	return k, nil
}

// KeyFromEnv reads the signing key from NEWSROOM_TOKEN_KEY, or from the file
// named by NEWSROOM_TOKEN_KEY_FILE (compose mounts it as a secret).
func KeyFromEnv() ([]byte, error) {
	if v := os.Getenv("NEWSROOM_TOKEN_KEY"); v != "" {
		return DecodeKey(v)
	}
	if f := os.Getenv("NEWSROOM_TOKEN_KEY_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		return DecodeKey(string(b))
	}
	return nil, errors.New("auth: set NEWSROOM_TOKEN_KEY or NEWSROOM_TOKEN_KEY_FILE")
}

// Issue signs a token for subject with roles, valid for ttl.
func (k *Keyring) Issue(subject string, roles []Role, ttl time.Duration) (string, error) {
	if subject == "" {
		return "", errors.New("auth: a token needs a subject")
	}
	if len(roles) == 0 {
		return "", errors.New("auth: a token needs at least one role")
	}
	for _, r := range roles {
		if _, err := ParseRole(string(r)); err != nil {
			return "", err
		}
	}
	now := k.clock.Now()
	c := claims{Roles: roles, RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    Issuer,
		Subject:   subject,
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(k.key)
}

// Errors Verify returns.
var (
	ErrExpired = errors.New("auth: token expired")
	ErrInvalid = errors.New("auth: invalid token")
)

// Verify checks a token's signature, issuer and expiry.
func (k *Keyring) Verify(token string) (Identity, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return k.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(k.clock.Now),
	)
	if errors.Is(err, jwt.ErrTokenExpired) {
		return Identity{}, ErrExpired
	}
	if err != nil || c.Subject == "" {
		return Identity{}, ErrInvalid
	}
	return Identity{Subject: c.Subject, Roles: c.Roles, Expires: c.ExpiresAt.Time}, nil
}
