// Command certgen makes a private CA and Newsroom's TLS certificates in a
// directory; see scripts/certs.
//
//	certgen DIR [HOST...]
package main

import (
	"fmt"
	"os"

	"newsroom.dev/internal/certgen"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: certgen DIR [HOST...]   (default hosts: localhost, 127.0.0.1, ::1, nats-1..3, drafting, review, publishing, linking)")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := certgen.Generate(dir, certgen.Options{Hosts: os.Args[2:]}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s/{%s,%s,%s,%s,%s,%s}\n", dir, certgen.CAFile, certgen.CAKeyFile,
		certgen.ServerFile, certgen.ServerKeyFile, certgen.ClientFile, certgen.ClientKeyFile)
}
