"""Pure computation on mention streams, with no Django: volume waves, text signals."""
