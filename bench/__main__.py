import sys

print("The benchmark suite arrives with the seeding of a large organisation.", file=sys.stderr)
