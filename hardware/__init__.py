"""The board as data: board profiles, FSR model constants, generated BOM and drawings."""
