package io.failback.common.nbd;

/** Constants of the NBD protocol (NetworkBlockDevice/nbd doc/proto.md) that this client uses. */
final class NbdProtocol {
  static final long NBDMAGIC = 0x4e42444d41474943L;
  static final long IHAVEOPT = 0x49484156454F5054L;
  static final long REPLY_MAGIC_OPTION = 0x3e889045565a9L;
  static final int REQUEST_MAGIC = 0x25609513;
  static final int SIMPLE_REPLY_MAGIC = 0x67446698;
  static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;

  static final int FLAG_FIXED_NEWSTYLE = 1;
  static final int FLAG_NO_ZEROES = 2;

  static final int OPT_GO = 7;
  static final int OPT_STRUCTURED_REPLY = 8;
  static final int OPT_SET_META_CONTEXT = 10;

  static final int REP_ACK = 1;
  static final int REP_INFO = 3;
  static final int REP_META_CONTEXT = 4;
  static final int REP_FLAG_ERROR = 1 << 31;

  static final int INFO_EXPORT = 0;
  static final int INFO_BLOCK_SIZE = 3;

  static final int TRANSMIT_READ_ONLY = 1 << 1;
  static final int TRANSMIT_SEND_FLUSH = 1 << 2;

  static final short CMD_READ = 0;
  static final short CMD_WRITE = 1;
  static final short CMD_DISC = 2;
  static final short CMD_FLUSH = 3;
  static final short CMD_WRITE_ZEROES = 6;
  static final short CMD_BLOCK_STATUS = 7;

  static final int REPLY_FLAG_DONE = 1;
  static final int REPLY_TYPE_NONE = 0;
  static final int REPLY_TYPE_OFFSET_DATA = 1;
  static final int REPLY_TYPE_OFFSET_HOLE = 2;
  static final int REPLY_TYPE_BLOCK_STATUS = 5;
  static final int REPLY_TYPE_ERROR_BIT = 1 << 15;

  /** Without a block-size answer, requests must stay at or below 32 MiB. */
  static final int DEFAULT_MAX_REQUEST = 32 << 20;

  private NbdProtocol() {}
}
