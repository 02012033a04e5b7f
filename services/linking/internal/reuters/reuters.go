// Package reuters reads the Reuters-21578 collection (Lewis's SGML
// distribution) and runs the related-stories quality benchmark on it.
// The collection is for research use only and is never copied into the
// repository: it is read from ../shared/data/reuters21578 next to the
// repository root, or from wherever the caller points.
package reuters

import (
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Story is one REUTERS element.
type Story struct {
	NewID    string
	Split    string // LEWISSPLIT: TRAIN, TEST or NOT-USED
	HasTopic bool   // TOPICS="YES"
	Date     time.Time
	Topics   []string
	Places   []string
	Title    string
	Dateline string
	Body     string
}

// DefaultDir finds ../shared/data/reuters21578 relative to the root of
// the repository that holds the working directory (the directory with
// go.work), or returns that path relative to the working directory.
func DefaultDir() string {
	const rel = "../shared/data/reuters21578"
	dir, err := os.Getwd()
	if err != nil {
		return rel
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return filepath.Join(d, rel)
		}
		if filepath.Dir(d) == d {
			return rel
		}
	}
}

// ErrMissing is returned when the collection is not at the given place.
var ErrMissing = errors.New("reuters: collection not found")

var (
	reAttr   = regexp.MustCompile(`(\w+)="([^"]*)"`)
	reD      = regexp.MustCompile(`<D>(.*?)</D>`)
	reNumRef = regexp.MustCompile(`&#\d+;`)
)

func element(s, name string) string {
	i := strings.Index(s, "<"+name)
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], '>')
	if j < 0 {
		return ""
	}
	rest := s[i+j+1:]
	k := strings.Index(rest, "</"+name+">")
	if k < 0 {
		return ""
	}
	return rest[:k]
}

func list(s string) []string {
	var out []string
	for _, m := range reD.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

func clean(s string) string {
	s = reNumRef.ReplaceAllString(s, " ")
	return strings.TrimSpace(html.UnescapeString(s))
}

// Load reads every reut2-*.sgm file in dir, in NEWID order.
func Load(dir string) ([]Story, error) {
	files, err := filepath.Glob(filepath.Join(dir, "reut2-*.sgm"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w in %s (see docs/benchmarks.md)", ErrMissing, dir)
	}
	sort.Strings(files)
	var out []Story
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rest := string(raw)
		for {
			i := strings.Index(rest, "<REUTERS")
			if i < 0 {
				break
			}
			j := strings.Index(rest[i:], "</REUTERS>")
			if j < 0 {
				break
			}
			elem := rest[i : i+j]
			rest = rest[i+j:]
			k := strings.IndexByte(elem, '>')
			attrs, body := elem[:k], elem[k+1:]
			s := Story{}
			for _, a := range reAttr.FindAllStringSubmatch(attrs, -1) {
				switch a[1] {
				case "NEWID":
					s.NewID = a[2]
				case "LEWISSPLIT":
					s.Split = a[2]
				case "TOPICS":
					s.HasTopic = a[2] == "YES"
				}
			}
			date := strings.TrimSpace(element(body, "DATE"))
			s.Date, err = parseDate(date)
			if err != nil {
				return nil, fmt.Errorf("reuters: %s NEWID %s: %w", f, s.NewID, err)
			}
			s.Topics = list(element(body, "TOPICS"))
			s.Places = list(element(body, "PLACES"))
			text := element(body, "TEXT")
			s.Title = clean(element(text, "TITLE"))
			s.Dateline = clean(element(text, "DATELINE"))
			s.Body = clean(element(text, "BODY"))
			out = append(out, s)
		}
	}
	return out, nil
}

// parseDate reads "26-FEB-1987 15:01:01.79"; a few dates carry junk after
// the time, which is ignored.
func parseDate(s string) (time.Time, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return time.Time{}, fmt.Errorf("bad date %q", s)
	}
	clock := f[1]
	frac := ""
	if i := strings.IndexByte(clock, '.'); i >= 0 {
		clock, frac = clock[:i], clock[i+1:]
	}
	day, err := time.Parse("2-Jan-2006", f[0])
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q: %w", s, err)
	}
	var h, m, sec int
	if _, err := fmt.Sscanf(clock, "%d:%d:%d", &h, &m, &sec); err != nil {
		return time.Time{}, fmt.Errorf("bad date %q: %w", s, err)
	}
	// One story has "605:12:19": keep the hour's last two digits.
	t := day.Add(time.Duration(h%100%24)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
	cs := 0
	for i := 0; i < len(frac) && i < 2; i++ {
		if frac[i] >= '0' && frac[i] <= '9' {
			cs = cs*10 + int(frac[i]-'0')
		}
	}
	return t.Add(time.Duration(cs) * 10 * time.Millisecond), nil
}
