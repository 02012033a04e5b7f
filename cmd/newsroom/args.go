package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// args is a small flag parser that, unlike package flag, accepts flags
// anywhere among the positional arguments ("draft update ID FILE
// --revision 3" and "--revision 3 draft update ID FILE" both work), which is
// how the verbs are documented.
type args struct {
	pos   []string
	vals  map[string]string
	bools map[string]bool
}

// spec lists the flags a command accepts: name → true if it takes a value.
type spec map[string]bool

// globalFlags are accepted by every command.
var globalFlags = spec{
	"addr": true, "token": true, "json": false,
	"drafting-addr": true, "review-addr": true, "publishing-addr": true, "linking-addr": true,
	"ca": true, "tls": false, "help": false, "h": false,
}

func parseArgs(in []string, s spec) (*args, error) {
	a := &args{vals: map[string]string{}, bools: map[string]bool{}}
	for i := 0; i < len(in); i++ {
		arg := in[i]
		if arg == "--" {
			a.pos = append(a.pos, in[i+1:]...)
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			a.pos = append(a.pos, arg)
			continue
		}
		name := strings.TrimLeft(arg, "-")
		val, hasVal := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, val, hasVal = k, v, true
		}
		takes, known := s[name]
		if !known {
			takes, known = globalFlags[name]
		}
		if !known {
			return nil, fmt.Errorf("unknown flag --%s", name)
		}
		if !takes {
			if hasVal {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return nil, fmt.Errorf("--%s takes no value", name)
				}
				a.bools[name] = b
			} else {
				a.bools[name] = true
			}
			continue
		}
		if !hasVal {
			if i+1 >= len(in) {
				return nil, fmt.Errorf("--%s needs a value", name)
			}
			i++
			val = in[i]
		}
		a.vals[name] = val
	}
	return a, nil
}

// str returns a flag's value, then the environment variable env, then def.
func (a *args) str(name, env, def string) string {
	if v, ok := a.vals[name]; ok {
		return v
	}
	if env != "" {
		if v := os.Getenv(env); v != "" {
			return v
		}
	}
	return def
}

func (a *args) has(name string) bool { _, ok := a.vals[name]; return ok }

func (a *args) flag(name string) bool { return a.bools[name] }

// need checks the number of positional arguments.
func (a *args) need(n int, usage string) error {
	if len(a.pos) != n {
		return usageError(usage)
	}
	return nil
}

type usageError string

func (u usageError) Error() string { return "usage: newsroom " + string(u) }
