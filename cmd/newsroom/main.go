// Command newsroom is Newsroom's command-line client and its all-in-one
// development server.
//
//	newsroom dev                       run everything on an embedded NATS
//	newsroom draft create FILE         create an article from an article file
//	newsroom review show ID            see its sensitivity flags
//	newsroom publish ID                publish it
//
// Run `newsroom help` for every verb.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

const usage = `newsroom — editorial workflow from draft to published

Run everything locally:
  newsroom dev [--data-dir DIR] [--grpc-addr HOST:PORT] [--http-addr HOST:PORT] [--desk-addr HOST:PORT]
               [--tls-cert FILE --tls-key FILE]

Client verbs (global: --addr/NEWSROOM_ADDR, --token/NEWSROOM_TOKEN, --json;
per-service addresses --drafting-addr, --review-addr, --publishing-addr,
--linking-addr, --audit-addr or NEWSROOM_<SERVICE>_ADDR override --addr;
TLS: --ca/NEWSROOM_CA, and --cert/--key (NEWSROOM_CERT/KEY) for mutual TLS):
  newsroom draft create FILE                 prints the new article id
  newsroom draft update ID FILE --revision N
  newsroom draft submit ID
  newsroom draft withdraw ID
  newsroom article get ID
  newsroom article list [--status S] [--desk D]
  newsroom article revisions ID
  newsroom review show ID
  newsroom review approve ID FLAG_ID [--note T]
  newsroom review dismiss ID FLAG_ID --reason T
  newsroom review request-changes ID --note T
  newsroom review note ID --title T --text X   (or --accept, or --remove)
  newsroom review history ID
  newsroom review check FILE
  newsroom rules reload [--dry-run]          re-read the review rule packs on every replica (admin)
  newsroom rules stats [--category C]        per rule: fired, approved, dismissed; noisiest first
  newsroom publish ID [--at RFC3339] [--embargo RFC3339]
  newsroom unschedule ID
  newsroom correct ID --text T
  newsroom unpublish ID --reason T
  newsroom publication ID
  newsroom related ID [--limit N]
  newsroom related pin|unpin|exclude|unexclude ID OTHER_ID   (editors)
  newsroom related suggest FILE [--limit N]
  newsroom archive import PATH              a directory of article files or a .jsonl file (admin)
  newsroom status
  newsroom webhook add --url U --events E1,E2 [--secret S]   (admin)
  newsroom webhook list | remove ID | deliveries ID
  newsroom token issue --subject S --role R [--role R2] [--ttl D]   (needs the signing key)
  newsroom audit list [--article ID] [--subject S] [--since RFC3339] [--limit N]   (admins)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type command func(a *args, out io.Writer) error

type verb struct {
	flags spec
	run   command
}

var verbs = map[string]verb{}

func register(name string, flags spec, run command) { verbs[name] = verb{flags, run} }

func run(argv []string, out, errOut io.Writer) int {
	if len(argv) == 0 || argv[0] == "help" || argv[0] == "--help" || argv[0] == "-h" {
		fmt.Fprint(out, usage)
		return 0
	}
	// Verbs are one word ("publish") or two ("draft create").
	name := argv[0]
	rest := argv[1:]
	if _, ok := verbs[name]; !ok && len(argv) > 1 {
		name, rest = argv[0]+" "+argv[1], argv[2:]
	}
	v, ok := verbs[name]
	if !ok {
		fmt.Fprintf(errOut, "newsroom: unknown command %q\n\n%s", name, usage)
		return 2
	}
	a, err := parseArgs(rest, v.flags)
	if err == nil && (a.flag("help") || a.flag("h")) {
		fmt.Fprint(out, usage)
		return 0
	}
	if err == nil {
		err = v.run(a, out)
	}
	if err == nil {
		return 0
	}
	printError(errOut, err)
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// printError shows a gRPC status as its code and message, with each field
// violation of a BadRequest detail on its own line.
func printError(w io.Writer, err error) {
	st, ok := status.FromError(err)
	if !ok {
		fmt.Fprintf(w, "newsroom: %v\n", err)
		return
	}
	fmt.Fprintf(w, "newsroom: %s: %s\n", st.Code(), st.Message())
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fmt.Fprintf(w, "  %s: %s\n", v.GetField(), v.GetDescription())
			}
		}
	}
}
