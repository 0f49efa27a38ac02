"""TypeScript and JavaScript: tree-sitter parsing (`parser`) and Bedrock detection (`detect`)."""
