//! A FreeMarker-subset renderer for the virtual-view message bodies.
