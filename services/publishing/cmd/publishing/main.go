// Command publishing runs the publishing service and the public website on
// their own; see service.Main for its environment.
package main

import (
	"context"

	"newsroom.dev/platform/service"
	"newsroom.dev/services/publishing"
)

func main() {
	service.Main("publishing", func(ctx context.Context, d service.Deps) (service.Service, error) {
		return publishing.New(ctx, d, publishing.ConfigFromEnv())
	})
}
