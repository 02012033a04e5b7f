module newsroom.dev/services/publishing

go 1.26.0

replace (
	newsroom.dev/gen => ../../gen
	newsroom.dev/platform => ../../platform
)
