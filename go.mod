module newsroom.dev

go 1.26.0

replace (
	newsroom.dev/gen => ./gen
	newsroom.dev/platform => ./platform
	newsroom.dev/services/drafting => ./services/drafting
	newsroom.dev/services/linking => ./services/linking
	newsroom.dev/services/publishing => ./services/publishing
	newsroom.dev/services/review => ./services/review
)
