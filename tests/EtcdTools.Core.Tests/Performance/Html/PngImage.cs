using System.Buffers.Binary;
using System.IO.Compression;

namespace EtcdTools.Core.Tests.Performance.Html;

/// <summary>
/// A decoded PNG (8-bit RGB or RGBA, not interlaced: what Chromium's screenshots are), read with
/// nothing but ZLibStream, since System.Drawing does not exist on Linux: the chunks, the IDAT
/// stream inflated, and each scanline's filter undone.
/// </summary>
internal sealed class PngImage
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private PngImage(int width, int height, uint[] pixels)
    {
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Pixels row by row as 0xRRGGBB (alpha dropped: screenshots are opaque).</summary>
    public uint[] Pixels { get; }

    public int DistinctColours => Pixels.Distinct().Count();

    /// <summary>The share of pixels that are not the page's white.</summary>
    public double InkShare => (double)Pixels.Count(p => p != 0xFFFFFF) / Pixels.Length;

    public static PngImage Decode(byte[] png)
    {
        if (png.Length < Signature.Length || !png.AsSpan(0, Signature.Length).SequenceEqual(Signature))
            throw new InvalidDataException("Not a PNG file: the signature is missing.");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        var offset = Signature.Length;
        while (offset + 8 <= png.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                    height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                    var (bitDepth, colourType, interlace) = (data[8], data[9], data[12]);
                    if (bitDepth != 8 || colourType is not (2 or 6) || interlace != 0)
                        throw new InvalidDataException($"Only 8-bit RGB or RGBA PNGs without interlacing are read, not bit depth {bitDepth}, colour type {colourType}, interlace {interlace}.");
                    channels = colourType == 6 ? 4 : 3;
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    offset = png.Length;
                    continue;
            }
            offset += 12 + length;
        }
        if (channels == 0) throw new InvalidDataException("The PNG has no IHDR chunk.");

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        var raw = inflated.GetBuffer();
        var stride = width * channels;
        if (inflated.Length < (long)height * (stride + 1)) throw new InvalidDataException("The PNG's image data is shorter than its size says.");

        var pixels = new uint[width * height];
        var previous = new byte[stride];
        var line = new byte[stride];
        for (var y = 0; y < height; y++)
        {
            var start = y * (stride + 1);
            var filter = raw[start];
            for (var i = 0; i < stride; i++)
            {
                var x = raw[start + 1 + i];
                int a = i >= channels ? line[i - channels] : 0;
                int b = previous[i];
                int c = i >= channels ? previous[i - channels] : 0;
                line[i] = (byte)(filter switch
                {
                    0 => x,
                    1 => x + a,
                    2 => x + b,
                    3 => x + (a + b) / 2,
                    4 => x + Paeth(a, b, c),
                    _ => throw new InvalidDataException($"Unknown PNG filter {filter} on row {y}."),
                });
            }
            for (var px = 0; px < width; px++)
                pixels[y * width + px] = (uint)(line[px * channels] << 16 | line[px * channels + 1] << 8 | line[px * channels + 2]);
            (previous, line) = (line, previous);
        }
        return new PngImage(width, height, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
