// Removed when the sys layer's first source lands (keeps the target non-empty).
