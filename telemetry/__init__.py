"""What every service tells its operators about itself: metrics (``telemetry.metrics``).

Generic: it imports none of our packages, so the gateway, the subgraphs and the reference
systems may all use it."""
