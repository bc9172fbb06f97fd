"""Identity resolution: one `person_key` per child across agencies (see `resolve`)."""
