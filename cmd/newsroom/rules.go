package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
)

func init() {
	register("rules reload", spec{"dry-run": false}, rulesReload)
	register("rules stats", spec{"category": true}, rulesStats)
}

// rulesReload asks the review service to read its rule packs again and
// swap them in on every replica (--dry-run: only check them). A refused
// pack prints each problem's file, line and reason.
func rulesReload(a *args, out io.Writer) error {
	if err := a.need(0, "rules reload [--dry-run]"); err != nil {
		return err
	}
	r, done, err := reviewClient(a)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := r.Reload(ctx, &reviewv1.ReloadRequest{ValidateOnly: a.flag("dry-run")})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	verb := "reloaded, and announced to every replica"
	if a.flag("dry-run") {
		verb = "valid (dry run: nothing reloaded)"
	}
	fmt.Fprintf(out, "rule packs %s: %d rules in %d packs (%s)\ndigest %s\n",
		verb, resp.GetRules(), resp.GetPacks(), strings.Join(resp.GetCategories(), ", "), resp.GetDigest())
	return nil
}

// rulesStats prints, per rule, how often it fired and how the desk decided
// its flags, noisiest first: the rules whose flags are most often
// dismissed as false alarms.
func rulesStats(a *args, out io.Writer) error {
	if err := a.need(0, "rules stats [--category C]"); err != nil {
		return err
	}
	r, done, err := reviewClient(a)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := callCtx()
	defer cancel()
	resp, err := r.RuleStats(ctx, &reviewv1.RuleStatsRequest{Category: a.str("category", "", "")})
	if err != nil {
		return err
	}
	if a.flag("json") {
		return printJSON(out, resp)
	}
	stats := slices.Clone(resp.GetRules())
	slices.SortStableFunc(stats, func(x, y *reviewv1.RuleStat) int {
		if c := cmp.Compare(dismissRate(y), dismissRate(x)); c != 0 {
			return c
		}
		if c := cmp.Compare(y.GetFired(), x.GetFired()); c != 0 {
			return c
		}
		return cmp.Compare(x.GetRuleId(), y.GetRuleId())
	})
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tFIRED\tCARRIED\tAPPROVED\tDISMISSED\tDISMISSED%")
	for _, s := range stats {
		id := s.GetRuleId()
		if !s.GetLoaded() {
			id += " (removed)"
		}
		rate := "-"
		if s.GetApproved()+s.GetDismissed() > 0 {
			rate = fmt.Sprintf("%.0f%%", 100*dismissRate(s))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", id, strings.TrimPrefix(s.GetSeverity().String(), "SEVERITY_"),
			s.GetFired(), s.GetCarried(), s.GetApproved(), s.GetDismissed(), rate)
	}
	return tw.Flush()
}

// dismissRate is the share of decisions on a rule's flags that dismissed
// them: high means noisy.
func dismissRate(s *reviewv1.RuleStat) float64 {
	n := s.GetApproved() + s.GetDismissed()
	if n == 0 {
		return -1
	}
	return float64(s.GetDismissed()) / float64(n)
}
