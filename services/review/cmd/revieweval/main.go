// Command revieweval scores the review service's rule packs against the
// labelled evaluation set in services/review/eval and prints precision and
// recall per category.
//
//	go run ./services/review/cmd/revieweval [-rules DIR] [-v]
//
// -rules evaluates the packs in DIR instead of the shipped ones (a
// standards editor trying a change); -only FILE scores one file of the set
// (holdout.yaml); -v lists every miss and false alarm. -reuters DIR instead
// prints how often each rule fires on the Reuters-21578 collection (1987
// wire copy, research use only, never copied into the repository), a
// check on false alarms against real news.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"newsroom.dev/services/review/eval"
	"newsroom.dev/services/review/rules"
)

func main() {
	dir := flag.String("rules", "", "evaluate the rule packs in this folder instead of the shipped ones")
	verbose := flag.Bool("v", false, "list every miss and false alarm")
	only := flag.String("only", "", "score only the passages of this file of the set (e.g. holdout.yaml)")
	reuters := flag.String("reuters", "", "instead, print how many stories of the Reuters-21578 collection in this folder each rule flags")
	flag.Parse()
	set, err := rules.Default()
	if *dir != "" {
		set, err = rules.LoadDir(*dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "revieweval:", err)
		os.Exit(1)
	}
	if *reuters != "" {
		if err := flagRates(set, *reuters); err != nil {
			fmt.Fprintln(os.Stderr, "revieweval:", err)
			os.Exit(1)
		}
		return
	}
	passages, err := eval.Passages()
	if err != nil {
		fmt.Fprintln(os.Stderr, "revieweval:", err)
		os.Exit(1)
	}
	if *only != "" {
		var kept []eval.Passage
		for _, p := range passages {
			if p.File == *only {
				kept = append(kept, p)
			}
		}
		passages = kept
	}
	rep := eval.Evaluate(set, passages)
	fmt.Print(rep)
	if *verbose && len(rep.Errors) > 0 {
		fmt.Println()
		for _, e := range rep.Errors {
			kind := "false alarm (" + strings.Join(e.Rules, ", ") + ")"
			if e.Missed {
				kind = "missed"
			}
			fmt.Printf("%s %s: %s %s\n  %s\n", e.Passage.File, e.Passage.ID, e.Category, kind, strings.ReplaceAll(e.Passage.Text, "\n", "\n  "))
		}
	}
}
