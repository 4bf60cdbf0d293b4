"""New countries: templates rendered into `countries/CODE/`, planned and applied to the target,
and each tenant's least-privilege runtime account (issue #11)."""
