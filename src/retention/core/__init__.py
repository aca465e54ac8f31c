"""The pure numpy core: integer codes and floats in, arrays and floats out; never imports pandas."""
