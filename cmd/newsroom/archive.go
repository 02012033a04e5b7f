package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
	publishingv1 "newsroom.dev/gen/newsroom/publishing/v1"
	"newsroom.dev/internal/articlefile"
	"newsroom.dev/services/publishing"
)

// `newsroom archive import PATH` loads stories published before Newsroom
// into the published archive (ImportArticles, admin only). PATH is a
// directory of article files (every *.md below it, with published_at and
// optionally id in the front matter) or a JSON Lines file (.jsonl or
// .ndjson) of the same fields, one story a line. Every story is checked
// before anything is sent: one malformed story and nothing is imported.
// Stories go out oldest first, so linking, which relates each story to
// those published before it, has the earlier ones indexed when it
// computes a later one's box. The import is idempotent and so resumable:
// the server reports stories already in the archive (from an earlier,
// perhaps interrupted, run) as such, and they are skipped.

func init() {
	register("archive import", spec{"batch": true}, archiveImport)
}

const (
	// defaultImportBatch keeps each call short and the progress moving;
	// --batch goes up to the server's limit.
	defaultImportBatch = 100
	// importBatchBytes keeps a batch well inside the server's 4 MiB
	// request limit, whatever the stories' length.
	importBatchBytes = 3 << 20
	// importAttempts is how often a batch is tried before giving up.
	importAttempts = 6
)

// archived is one story of the archive: where it is, and when it was
// published (to order the import). JSON Lines stories are found again by
// their byte offset.
type archived struct {
	source string // "dir/file.md" or "file.jsonl:12"
	at     time.Time
	file   string
	off    int64
	n      int
}

func archiveImport(a *args, out io.Writer) error {
	const u = "archive import PATH [--batch N]"
	if err := a.need(1, u); err != nil {
		return err
	}
	batch := defaultImportBatch
	if v := a.str("batch", "", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > publishing.MaxImportBatch {
			return usageError(fmt.Sprintf("%s (--batch is 1 to %d)", u, publishing.MaxImportBatch))
		}
		batch = n
	}
	path := a.pos[0]

	// First pass: check every story and note when it was published.
	stories, problems, err := scanArchive(path)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("nothing imported: %d malformed %s:\n  %s", len(problems), plural(len(problems), "story", "stories"), limitLines(problems, 50))
	}
	total := len(stories)
	if total == 0 {
		return fmt.Errorf("no stories in %s (want *.md article files or a .jsonl file)", path)
	}
	slices.SortStableFunc(stories, func(x, y archived) int { return x.at.Compare(y.at) })

	c := newClients(a)
	defer c.close()
	client, err := c.publishing()
	if err != nil {
		return err
	}
	prog := newProgress(out, total)
	var (
		pending  []archived
		req      = &publishingv1.ImportArticlesRequest{}
		size     int
		done     int
		counts   [4]int // by ImportOutcome
		rejected []string
	)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		resp, err := importBatch(client, req)
		if err != nil {
			return err
		}
		for i, r := range resp.GetResults() {
			if i >= len(pending) {
				break
			}
			if o := int(r.GetOutcome()); o >= 0 && o < len(counts) {
				counts[o]++
			}
			if r.GetOutcome() == publishingv1.ImportOutcome_IMPORT_OUTCOME_REJECTED {
				rejected = append(rejected, pending[i].source+": "+r.GetError())
			}
		}
		done += len(pending)
		prog.update(done, counts)
		pending, req, size = pending[:0], &publishingv1.ImportArticlesRequest{}, 0
		return nil
	}
	// Second pass, oldest first: read each story again and send it.
	for _, s := range stories {
		art, err := loadArchived(s)
		if err != nil {
			err = fmt.Errorf("%s changed while importing: %w", path, err)
			break
		}
		n := proto.Size(art)
		if len(pending) > 0 && (len(pending) >= batch || size+n > importBatchBytes) {
			if err = flush(); err != nil {
				break
			}
		}
		pending = append(pending, s)
		req.Articles = append(req.Articles, art)
		size += n
	}
	if err == nil {
		err = flush()
	}
	prog.finish()
	imported, exists := counts[publishingv1.ImportOutcome_IMPORT_OUTCOME_IMPORTED], counts[publishingv1.ImportOutcome_IMPORT_OUTCOME_EXISTS]
	fmt.Fprintf(out, "imported %d, already imported %d, rejected %d (%d of %d %s)\n",
		imported, exists, len(rejected), done, total, plural(total, "story", "stories"))
	if err != nil {
		return fmt.Errorf("import stopped after %d of %d stories: %w\nrun the same command again to resume: stories already imported are skipped", done, total, err)
	}
	if len(rejected) > 0 {
		return fmt.Errorf("%d %s rejected:\n  %s", len(rejected), plural(len(rejected), "story", "stories"), limitLines(rejected, 50))
	}
	return nil
}

// importBatch sends one batch, retrying what may pass on a second try
// (the call is idempotent, so a batch whose answer was lost is safe to
// send again).
func importBatch(client publishingv1.PublishingServiceClient, req *publishingv1.ImportArticlesRequest) (*publishingv1.ImportArticlesResponse, error) {
	var err error
	for attempt := range importAttempts {
		if attempt > 0 {
			time.Sleep(min(time.Duration(1<<attempt)*250*time.Millisecond, 8*time.Second))
		}
		ctx, cancel := callCtx()
		var resp *publishingv1.ImportArticlesResponse
		resp, err = client.ImportArticles(ctx, req)
		cancel()
		if err == nil {
			return resp, nil
		}
		switch status.Code(err) {
		case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted, codes.Internal:
			continue
		}
		return nil, err
	}
	return nil, err
}

// scanArchive lists the stories at path, in a stable order, with what is
// wrong with the malformed ones.
func scanArchive(path string) (stories []archived, problems []string, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case info.IsDir():
		var files []string
		err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".md") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		slices.Sort(files)
		for _, f := range files {
			s, err := scanArticleFile(f)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			stories = append(stories, s)
		}
		return stories, problems, nil
	case ext == ".jsonl" || ext == ".ndjson":
		return scanJSONLines(path)
	case ext == ".md":
		s, err := scanArticleFile(path)
		if err != nil {
			return nil, []string{err.Error()}, nil
		}
		return []archived{s}, nil, nil
	}
	return nil, nil, fmt.Errorf("%s: want a directory of article files, an article file (.md) or a JSON Lines file (.jsonl)", path)
}

func scanArticleFile(path string) (archived, error) {
	_, published, err := parseArticleForImport(path)
	if err != nil {
		return archived{}, err
	}
	return archived{source: path, at: published, file: path}, nil
}

func parseArticleForImport(path string) (*articlev1.Article, time.Time, error) {
	a, published, err := articlefile.ParseFile(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	if published.IsZero() {
		return nil, time.Time{}, fmt.Errorf("%s: published_at is required in the front matter of an archived story", path)
	}
	return a, published, nil
}

// loadArchived reads a story found by scanArchive.
func loadArchived(s archived) (*articlev1.Article, error) {
	if s.n == 0 {
		a, _, err := parseArticleForImport(s.file)
		return a, err
	}
	f, err := os.Open(s.file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	line := make([]byte, s.n)
	if _, err := f.ReadAt(line, s.off); err != nil {
		return nil, err
	}
	a, _, err := parseJSONLine(line)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.source, err)
	}
	return a, nil
}

// jsonLine is one story in a JSON Lines archive: the article file's fields.
type jsonLine struct {
	ID         string   `json:"id"`
	Headline   string   `json:"headline"`
	Dek        string   `json:"dek"`
	Summary    string   `json:"summary"`
	Desk       string   `json:"desk"`
	Byline     string   `json:"byline"`
	Slug       string   `json:"slug"`
	Kicker     string   `json:"kicker"`
	Tags       []string `json:"tags"`
	Highlights []string `json:"highlights"`
	Takeaways  []struct {
		Quote   string `json:"quote"`
		Context string `json:"context"`
	} `json:"takeaways"`
	Body        string `json:"body"`
	PublishedAt string `json:"published_at"`
}

// maxJSONLine bounds one story of a JSON Lines archive.
const maxJSONLine = 16 << 20

func scanJSONLines(path string) (stories []archived, problems []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var off int64
	for n := 1; ; n++ {
		raw, err := r.ReadBytes('\n')
		if len(raw) > 0 {
			src := fmt.Sprintf("%s:%d", path, n)
			line := bytes.TrimSpace(raw)
			switch {
			case len(line) == 0:
			case len(raw) > maxJSONLine:
				problems = append(problems, fmt.Sprintf("%s: longer than %d bytes", src, maxJSONLine))
			default:
				if _, at, perr := parseJSONLine(line); perr != nil {
					problems = append(problems, src+": "+perr.Error())
				} else {
					stories = append(stories, archived{source: src, at: at, file: path, off: off, n: len(raw)})
				}
			}
			off += int64(len(raw))
		}
		if errors.Is(err, io.EOF) {
			return stories, problems, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
}

func parseJSONLine(line []byte) (*articlev1.Article, time.Time, error) {
	var j jsonLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, time.Time{}, err
	}
	if dec.More() {
		return nil, time.Time{}, errors.New("more than one JSON value on the line")
	}
	var problems []string
	if strings.TrimSpace(j.Headline) == "" {
		problems = append(problems, "headline is required")
	}
	if strings.TrimSpace(j.Desk) == "" {
		problems = append(problems, "desk is required")
	}
	var at time.Time
	if j.PublishedAt == "" {
		problems = append(problems, "published_at is required")
	} else if t, err := time.Parse(time.RFC3339, j.PublishedAt); err != nil {
		problems = append(problems, fmt.Sprintf("published_at %q is not an RFC 3339 time such as 2024-05-01T09:30:00Z", j.PublishedAt))
	} else {
		at = t
	}
	if len(problems) > 0 {
		return nil, time.Time{}, errors.New(strings.Join(problems, "; "))
	}
	a := &articlev1.Article{
		Id: j.ID, Headline: j.Headline, Dek: j.Dek, Summary: j.Summary, Desk: j.Desk, Byline: j.Byline,
		Slug: j.Slug, Kicker: j.Kicker, Tags: j.Tags, Highlights: j.Highlights, Body: j.Body,
		PublishedAt: timestamppb.New(at),
	}
	for _, t := range j.Takeaways {
		a.Takeaways = append(a.Takeaways, &articlev1.Takeaway{Quote: t.Quote, Context: t.Context})
	}
	return a, at, nil
}

// progress shows how far an import has got: a bar redrawn in place when
// out is a terminal, nothing otherwise (the summary line says it all).
type progress struct {
	out   io.Writer
	tty   bool
	total int
	drawn bool
}

func newProgress(out io.Writer, total int) *progress {
	p := &progress{out: out, total: total}
	if f, ok := out.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	p.update(0, [4]int{})
	return p
}

func (p *progress) update(done int, counts [4]int) {
	if !p.tty {
		return
	}
	const width = 30
	fill := width * done / max(p.total, 1)
	fmt.Fprintf(p.out, "\rimporting [%s%s] %d/%d %3d%%  new %d, skipped %d, rejected %d ",
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), done, p.total, 100*done/max(p.total, 1),
		counts[publishingv1.ImportOutcome_IMPORT_OUTCOME_IMPORTED], counts[publishingv1.ImportOutcome_IMPORT_OUTCOME_EXISTS],
		counts[publishingv1.ImportOutcome_IMPORT_OUTCOME_REJECTED])
	p.drawn = true
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.out)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// limitLines joins lines, at most n of them.
func limitLines(lines []string, n int) string {
	if len(lines) <= n {
		return strings.Join(lines, "\n  ")
	}
	return strings.Join(lines[:n], "\n  ") + fmt.Sprintf("\n  … and %d more", len(lines)-n)
}
