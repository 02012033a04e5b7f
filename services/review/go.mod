module newsroom.dev/services/review

go 1.26.0

replace (
	newsroom.dev/gen => ../../gen
	newsroom.dev/platform => ../../platform
)
