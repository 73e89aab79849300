// Keeps every layer library non-empty while a layer is still being written.
