// Command linking runs the linking service on its own.
package main

import (
	"context"

	"newsroom.dev/platform/service"
	"newsroom.dev/services/linking"
)

func main() {
	service.Main("linking", func(ctx context.Context, d service.Deps) (service.Service, error) {
		return linking.New(ctx, d, linking.ConfigFromEnv())
	})
}
