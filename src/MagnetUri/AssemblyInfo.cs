using System.Runtime.CompilerServices;

// Stack buffers here are always written before they are read: skip zeroing them on every parse.
[module: SkipLocalsInit]
