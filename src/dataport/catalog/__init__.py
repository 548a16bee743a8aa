"""The dataset catalog: datasets, their versions and schemas, zones and rights."""
