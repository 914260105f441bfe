"""Domain rules of the webhooks plugin: endpoints, and delivering events to them."""
