// Package articlefile reads and writes the article file format: Markdown
// with YAML front matter between two "---" lines, the way writers keep
// stories in a text editor and the archive import hands them in.
//
//	---
//	headline: Council passes budget
//	desk: city
//	tags: [budget, council]
//	---
//
//	The council voted 7-2 on Tuesday…
//
// The front matter is checked strictly, so a typo in a key or a list
// written as a string is an error that names its line rather than a field
// silently left empty.
package articlefile
