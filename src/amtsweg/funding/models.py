"""The state's IKZ funding programme: programmes, funding applications and grants."""
