module newsroom.dev/services/linking

go 1.26.0

replace (
	newsroom.dev/gen => ../../gen
	newsroom.dev/platform => ../../platform
)
