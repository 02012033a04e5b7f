package main

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"newsroom.dev/services/review/rules"
)

var reutersBody = regexp.MustCompile(`(?s)<BODY>(.*?)</BODY>`)

// flagRates scans every story of the Reuters-21578 collection in dir (the
// reut2-*.sgm files) and prints, per rule, how many stories it flags. The
// collection is 1987 wire copy, mostly business news: a rule that flags
// a large share of it is a rule the desk will find noisy.
func flagRates(set *rules.Set, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "reut2-*.sgm"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no reut2-*.sgm files in %s", dir)
	}
	stories := 0
	byRule := map[string]int{}
	byCat := map[string]int{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		for _, m := range reutersBody.FindAllSubmatch(raw, -1) {
			stories++
			cats := map[string]bool{}
			for _, fd := range set.Scan([]rules.Field{{Name: "body", Base: "body", Text: html.UnescapeString(string(m[1]))}}) {
				byRule[fd.Rule.ID]++
				cats[fd.Rule.Category] = true
			}
			for c := range cats {
				byCat[c]++
			}
		}
	}
	fmt.Printf("%d Reuters-21578 stories\n\n%-22s %7s %7s\n", stories, "category", "stories", "share")
	print := func(counts map[string]int, width int) {
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return counts[keys[i]] > counts[keys[j]] || counts[keys[i]] == counts[keys[j]] && keys[i] < keys[j]
		})
		for _, k := range keys {
			fmt.Printf("%-*s %7d %6.2f%%\n", width, k, counts[k], 100*float64(counts[k])/float64(stories))
		}
	}
	print(byCat, 22)
	fmt.Printf("\n%-45s %7s %7s\n", "rule", "stories", "share")
	print(byRule, 45)
	return nil
}
