def load(ctx, data, *, stdout) -> None:
    stdout.write(f"plugin demo: {len(data['customers'])} customers before me")
