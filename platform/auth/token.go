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

// Keyring signs and verifies tokens with shared HS256 keys: the first key
// signs, and every key verifies, so the signing key can be rotated without
// cutting off the tokens already issued (see docs/security.md).
type Keyring struct {
	key    []byte
	verify [][]byte
	clock  clock.Clock
}

// MinKeyBytes is the shortest signing key accepted.
const MinKeyBytes = 32

// NewKeyring returns a keyring for key; clk may be nil for the wall clock.
func NewKeyring(key []byte, clk clock.Clock) (*Keyring, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("auth: signing key must be at least %d bytes", MinKeyBytes)
	}
	return NewKeyringSet([][]byte{key}, clk)
}

// NewKeyringSet returns a keyring that signs with keys[0] and accepts
// tokens signed with any of keys: during a rotation, the new key first and
// the old one after it until the tokens it signed have expired.
func NewKeyringSet(keys [][]byte, clk clock.Clock) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("auth: no signing key")
	}
	for _, k := range keys {
		if len(k) < MinKeyBytes {
			return nil, fmt.Errorf("auth: signing key must be at least %d bytes", MinKeyBytes)
		}
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &Keyring{key: keys[0], verify: keys, clock: clk}, nil
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

// DecodeKeys reads a list of keys written by EncodeKey, separated by
// commas, spaces or newlines.
func DecodeKeys(s string) ([][]byte, error) {
	var keys [][]byte
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		k, err := DecodeKey(f)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("auth: no signing key")
	}
	return keys, nil
}

// KeyFromEnv reads the signing key from NEWSROOM_TOKEN_KEY, or from the file
// named by NEWSROOM_TOKEN_KEY_FILE (compose mounts it as a secret). When the
// setting lists several keys (see KeysFromEnv) it returns the first, the
// one that signs.
func KeyFromEnv() ([]byte, error) {
	keys, err := KeysFromEnv()
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

// KeysFromEnv reads every token key from NEWSROOM_TOKEN_KEY or the file
// named by NEWSROOM_TOKEN_KEY_FILE: one or more keys separated by commas
// (or newlines in the file). The first signs; all of them verify.
func KeysFromEnv() ([][]byte, error) {
	if v := os.Getenv("NEWSROOM_TOKEN_KEY"); v != "" {
		return DecodeKeys(v)
	}
	if f := os.Getenv("NEWSROOM_TOKEN_KEY_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		return DecodeKeys(string(b))
	}
	return nil, errors.New("auth: set NEWSROOM_TOKEN_KEY or NEWSROOM_TOKEN_KEY_FILE")
}

// KeyringFromEnv is NewKeyringSet(KeysFromEnv()); clk may be nil.
func KeyringFromEnv(clk clock.Clock) (*Keyring, error) {
	keys, err := KeysFromEnv()
	if err != nil {
		return nil, err
	}
	return NewKeyringSet(keys, clk)
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

// keyfunc hands the parser every verification key; the first that checks
// the signature wins.
func (k *Keyring) keyfunc(*jwt.Token) (any, error) {
	set := jwt.VerificationKeySet{Keys: make([]jwt.VerificationKey, len(k.verify))}
	for i, key := range k.verify {
		set.Keys[i] = key
	}
	return set, nil
}

// Verify checks a token's signature (against every key of the keyring),
// issuer and expiry.
func (k *Keyring) Verify(token string) (Identity, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, k.keyfunc,
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
