package articlefile

import (
	"bytes"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
	articlev1 "newsroom.dev/gen/newsroom/article/v1"
)

// Format writes a in the article file format: the fields Parse reads, in
// the order of Keys, empty ones left out, then the body. Parse(Format(a))
// gives those fields back.
func Format(a *articlev1.Article) []byte {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) {
		m.Content = append(m.Content, str(key), v)
	}
	texts := map[string]string{
		"headline": a.GetHeadline(), "dek": a.GetDek(), "summary": a.GetSummary(),
		"desk": a.GetDesk(), "byline": a.GetByline(), "slug": a.GetSlug(),
		"kicker": a.GetKicker(), "id": a.GetId(),
	}
	for _, k := range Keys {
		switch k {
		case "tags":
			if len(a.GetTags()) > 0 {
				seq := strs(a.GetTags())
				seq.Style = yaml.FlowStyle
				add(k, seq)
			}
		case "highlights":
			if len(a.GetHighlights()) > 0 {
				add(k, strs(a.GetHighlights()))
			}
		case "takeaways":
			if len(a.GetTakeaways()) == 0 {
				continue
			}
			seq := &yaml.Node{Kind: yaml.SequenceNode}
			for _, t := range a.GetTakeaways() {
				tm := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("quote"), str(t.GetQuote())}}
				if t.GetContext() != "" {
					tm.Content = append(tm.Content, str("context"), str(t.GetContext()))
				}
				seq.Content = append(seq.Content, tm)
			}
			add(k, seq)
		case "published_at":
			if a.GetPublishedAt() != nil {
				add(k, str(a.GetPublishedAt().AsTime().Format(time.RFC3339Nano)))
			}
		default:
			if texts[k] != "" {
				add(k, str(texts[k]))
			}
		}
	}
	var out bytes.Buffer
	out.WriteString(delimiter + "\n")
	if len(m.Content) > 0 {
		enc := yaml.NewEncoder(&out)
		enc.SetIndent(2)
		if err := enc.Encode(m); err != nil {
			// Every value is valid UTF-8 text by now, which yaml.v3 always
			// encodes; an error here is a bug in this function.
			panic("articlefile: format: " + err.Error())
		}
		_ = enc.Close()
	}
	out.WriteString(delimiter + "\n")
	if a.GetBody() != "" {
		out.WriteString("\n" + a.GetBody() + "\n")
	}
	return out.Bytes()
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.ToValidUTF8(s, "\uFFFD")}
}

func strs(ss []string) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range ss {
		seq.Content = append(seq.Content, str(s))
	}
	return seq
}
