"""Settings from outside the code: the project file (``project``), the credentials it names
(``credentials``), who is acting (``identity``), the init template (``template``), waits
(``waits``), and which project and stores a command used (``context``).

May import: ``errors`` only (a layer beside ``contract``, below ``stores``).
"""
